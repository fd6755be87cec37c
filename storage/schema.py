"""Every table leadmover keeps, in one metadata: what migrations compare against and what the app's database role
is granted. A table module left out here would be neither migrated nor granted."""

from __future__ import annotations

from sqlalchemy import MetaData

from storage import automation_models, models

# Both modules declare their tables on models.Base; naming them here is what puts every table in it.
TABLE_MODULES = (models, automation_models)
metadata: MetaData = models.Base.metadata
