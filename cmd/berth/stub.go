package main

import "errors"

// errNotYet backs the placeholder commands while they are being built.
var errNotYet = errors.New("not available yet")
