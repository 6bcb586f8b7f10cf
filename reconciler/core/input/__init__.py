"""desired/ in: read the files within limits, parse them into an Estate, check it offline."""
