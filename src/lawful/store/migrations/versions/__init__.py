"""One module per migration, named YYYYMMDD_HHMM_<slug>.py."""
