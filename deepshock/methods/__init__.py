"""Statistics the chapters use, with no knowledge of chapters, securities or files."""
