"""The LLM provider layer shared by the veto reviewers and the market-analyst source."""
