"""Generic estimation helpers that know nothing of the survey."""
