"""The only place with SQL: one repository per aggregate."""
