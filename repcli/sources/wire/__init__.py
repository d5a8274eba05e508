"""What the connectors share, none of them a source type itself: the strict parsers of what
platforms send (`parse`: times, text, ratings), pages without an API (`extract`, `microdata`),
paging guards (`paging`), exported files (`file_rows`, `file_import`, `json_array`), brand keyword filters
(`keywords`), and two platforms' wire layers used by more than one module (`meta_graph` for
Facebook and Instagram, `play_batchexecute` for Google Play), and `tokens` (signed JWTs and
OAuth token requests for App Store Connect and Google)."""
