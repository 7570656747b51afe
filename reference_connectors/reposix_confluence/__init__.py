"""reposix connector for confluence (under construction)."""
