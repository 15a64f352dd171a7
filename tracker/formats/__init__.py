"""Date and time formats that differ from Django's own (FORMAT_MODULE_PATH): Django looks here
first and falls back to its own module for every format not named here."""
