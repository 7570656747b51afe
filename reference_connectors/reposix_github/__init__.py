"""reposix connector for github (under construction)."""
