"""The pure core: desired/ loading, diffing, planning and rendering. No I/O here."""
