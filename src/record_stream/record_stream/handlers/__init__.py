"""Lambda entry points (thin: parse -> logic -> data access -> Powertools batch response)."""
