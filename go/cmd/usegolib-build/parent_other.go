//go:build !linux

package main

// dieWithParent is a no-op where the platform has no parent-death signal.
func dieWithParent() {}
