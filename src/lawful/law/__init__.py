"""The law as data: each number cites its article."""
