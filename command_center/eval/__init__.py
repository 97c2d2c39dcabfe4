"""Evaluation harnesses (the clarifier eval: `make clarifier-eval`)."""
