"""Quality evaluations: triage, retrieval and answers measured on data in EVAL_FORMAT.md."""
