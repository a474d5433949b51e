"""Capacity-limited coverage (nearest-first allocation) and 2SFCA access, on cases with hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.analyses.coverage import capacity as cap
from dashboard.analyses.coverage import network as nw


def _line_pairs(demand_x, facility_x, service_m=1000.0):
    demand = np.column_stack([demand_x, np.zeros(len(demand_x))])
    facilities = np.column_stack([facility_x, np.zeros(len(facility_x))])
    return cap.pairs_straight(demand, facilities, service_m, 1.0)


def test_two_centres_one_over_capacity():
    # centre A at 0 m with 1 GP, centre B at 2,000 m with 2 GPs; 3,000 residents per GP
    # compounds: 2,000 people at 100 m, 2,000 at 300 m, 1,000 at 1,900 m; reach 1,000 m
    pairs = _line_pairs([100, 300, 1900], [0, 2000])
    capacity = cap.capacities([1, 2], 3000)
    assert capacity.tolist() == [3000, 6000]
    alloc = cap.allocate_nearest_first(pairs, [2000, 2000, 1000], capacity)
    # A takes the 100 m compound whole (2,000), then 1,000 of the 300 m compound, and is full;
    # B (1,700 m from the 300 m compound) is out of its reach, so 1,000 residents are beyond capacity
    assert alloc.reachable.tolist() == [True, True, True]
    assert alloc.served.tolist() == [2000, 1000, 1000]
    assert alloc.load.tolist() == [3000, 1000]
    assert alloc.first_choice.tolist() == [4000, 1000]
    assert alloc.over_capacity.tolist() == [True, False]
    within = float(np.dot(alloc.reachable, [2000, 2000, 1000]))
    assert within - alloc.served.sum() == 1000  # residents beyond capacity


def test_a_full_centre_spills_over_to_the_next_within_reach():
    # the 900 m compound reaches both centres (A 900 m, B 1,000 m) and goes on to B when A is full
    pairs = _line_pairs([100, 900], [0, 1900])
    alloc = cap.allocate_nearest_first(pairs, [2500, 1000], cap.capacities([1, 1], 3000))
    assert alloc.served.tolist() == [2500, 1000]
    assert alloc.load.tolist() == [3000, 500]
    assert alloc.first_choice.tolist() == [3500, 0]
    assert alloc.over_capacity.tolist() == [True, False]


def test_out_of_reach_and_no_gps():
    pairs = _line_pairs([100, 5000], [0])
    alloc = cap.allocate_nearest_first(pairs, [500, 800], cap.capacities([0], 3000))
    assert alloc.reachable.tolist() == [True, False]
    assert alloc.served.tolist() == [0, 0]  # a station without a GP has no capacity
    assert alloc.over_capacity.tolist() == [True]


def test_nearest_first_is_by_walking_distance_with_deterministic_ties():
    # two compounds 100 m either side of one centre that has room for one of them: the lower index wins
    pairs = _line_pairs([-100, 100], [0])
    alloc = cap.allocate_nearest_first(pairs, [1000, 1000], [1000.0])
    assert alloc.served.tolist() == [1000, 0]
    # a nearer compound beats an earlier one
    pairs = _line_pairs([-150, 100], [0])
    assert cap.allocate_nearest_first(pairs, [1000, 1000], [1000.0]).served.tolist() == [0, 1000]


def test_pairs_from_network_matrix():
    net = nw.from_edges([(0, 0), (100, 0), (100, 100), (0, 100)], [0, 1, 2], [1, 2, 3])
    walk = nw.facility_walk_m(net, [(0, 0), (100, 0)], [(0, 100)], limit_m=250)
    pairs = cap.pairs_from_matrix(walk, 250)
    assert pairs.demand.tolist() == [1] and pairs.walk_m.tolist() == pytest.approx([200.0])


def test_straight_pairs_match_brute_force():
    rng = np.random.default_rng(3)
    demand, facilities = rng.uniform(0, 5000, (300, 2)), rng.uniform(0, 5000, (12, 2))
    pairs = cap.pairs_straight(demand, facilities, 1000, 1.3)
    dist = np.hypot(*(demand[:, None, :] - facilities[None, :, :]).transpose(2, 0, 1)) * 1.3
    want = {(int(i), int(j)) for i, j in zip(*np.nonzero(dist <= 1000), strict=True)}
    assert set(zip(pairs.demand.tolist(), pairs.facility.tolist(), strict=True)) == want
    np.testing.assert_allclose(pairs.walk_m, dist[pairs.demand, pairs.facility])


def test_2sfca_textbook_example():
    # Luo & Wang (2003) style: 3 residential areas, 2 clinics, catchment 1,000 m.
    # P = 1,000 / 2,000 / 1,500 residents; clinic A (2 GPs) reaches areas 1 and 2, clinic B (1 GP) areas 2 and 3.
    # Step 1: R_A = 2 / (1,000 + 2,000) = 1/1,500; R_B = 1 / (2,000 + 1,500) = 1/3,500.
    # Step 2: A_1 = 1/1,500 = 6.667 per 10,000; A_2 = 1/1,500 + 1/3,500 = 1/1,050 = 9.524; A_3 = 1/3,500 = 2.857.
    pairs = cap.Pairs(demand=np.array([0, 1, 1, 2]), facility=np.array([0, 0, 1, 1]),
                      walk_m=np.array([500.0, 600, 700, 800]), n_demand=3, n_facilities=2)
    ratio, access = cap.two_step_fca(pairs, [1000, 2000, 1500], [2, 1])
    assert ratio.tolist() == pytest.approx([1 / 1500, 1 / 3500])
    assert (access * cap.PER).tolist() == pytest.approx([10000 / 1500, 10000 / 1050, 10000 / 3500])
    # residents-weighted mean over areas 1-3: total GPs reached / total residents = 3 / 4,500
    assert cap.weighted_mean(access, [1000, 2000, 1500], [0, 0, 0], 1)[0] == pytest.approx(3 / 4500)


def test_2sfca_conserves_supply_and_handles_empty_catchments():
    rng = np.random.default_rng(11)
    demand, facilities = rng.uniform(0, 4000, (200, 2)), rng.uniform(0, 8000, (10, 2))
    residents, gps = rng.integers(0, 3000, 200).astype(float), rng.integers(0, 8, 10).astype(float)
    pairs = cap.pairs_straight(demand, facilities, 1000, 1.3)
    ratio, access = cap.two_step_fca(pairs, residents, gps)
    reached = np.bincount(pairs.facility, weights=residents[pairs.demand], minlength=10) > 0
    assert float(np.dot(residents, access)) == pytest.approx(float(gps[reached].sum()))
    assert np.all(ratio[~reached] == 0)
    assert np.all(access[np.bincount(pairs.demand, minlength=200) == 0] == 0)


def test_weighted_mean_skips_ungrouped_and_empty_groups():
    out = cap.weighted_mean([1.0, 3.0, 5.0], [1, 3, 2], [0, 0, -1], 2)
    assert out[0] == pytest.approx(2.5) and np.isnan(out[1])


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="panel size"):
        cap.capacities([1], -5)
    with pytest.raises(ValueError, match="facility 1"):
        cap.capacities([1, -2], 3000)
    pairs = _line_pairs([0], [0])
    with pytest.raises(ValueError, match="1 residents"):
        cap.allocate_nearest_first(pairs, [1], [1, 2])


def test_pairs_straight_are_every_pair_in_reach_in_demand_then_facility_order():
    """Against brute force on random points: the same pairs (straight line × detour ≤ service distance), ordered
    by demand point, then facility."""
    rng = np.random.default_rng(7)
    demand, facilities = rng.uniform(0, 5000, (400, 2)), rng.uniform(0, 5000, (30, 2))
    for service, detour in ((800, 1.4), (1500, 1.0), (3000, 1.6)):
        got = cap.pairs_straight(demand, facilities, service, detour)
        walk = np.hypot(demand[:, None, 0] - facilities[None, :, 0], demand[:, None, 1] - facilities[None, :, 1]) * detour
        dem, fac = np.nonzero(walk <= service + 1e-6 * detour)
        assert np.array_equal(got.demand, dem) and np.array_equal(got.facility, fac)
        assert np.allclose(got.walk_m, walk[dem, fac])
