"""Body formats shared by connectors: converters between vendor rich text and Markdown.

* `reposix._formats.adf` — Atlassian Document Format (Jira, Confluence) ↔ Markdown.
"""
