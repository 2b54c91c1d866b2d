"""The LangGraph multi-agent graph: triage, then the knowledge, handoff and reply agents."""
