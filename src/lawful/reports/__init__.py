"""Documents generated from the data map: RoPA, privacy notice."""
