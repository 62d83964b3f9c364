"""An in-memory platform with fault knobs: the dummy every destination is measured against."""
