"""Imported once by the upload fork server (dashboard/upload/worker.py): the checks, the shared
database and the reference data are loaded before any child is forked, so each check starts warm."""

from dashboard.data import db
from dashboard.upload import validate

try:
    db.get_database()
    validate.reference()
except Exception:  # shipped data broken: each check reports it in its own process
    pass

# Give freed memory back before any fork: each check's address-space budget (RLIMIT_AS, counted from
# the child's starting size) is then spent on the check, not hidden in the server's free lists.
import gc  # noqa: E402

gc.collect()
try:
    import ctypes

    ctypes.CDLL("libc.so.6").malloc_trim(0)
except (OSError, AttributeError):  # not glibc
    pass
