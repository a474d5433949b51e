"""Imported once by the upload fork server (dashboard/upload/worker.py): the checks, the shared
database and the reference data are loaded before any child is forked, so each check starts warm."""

from dashboard.data import db
from dashboard.upload import validate

try:
    db.get_database()
    validate.reference()
except Exception:  # shipped data broken: each check reports it in its own process
    pass
