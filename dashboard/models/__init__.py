"""Pure models: no Streamlit imports, deterministic, tested."""
