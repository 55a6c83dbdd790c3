"""The database schema (SQLAlchemy Core tables). Nothing but table definitions lives here."""
