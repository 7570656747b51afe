"""reposix connector for jira (under construction)."""
