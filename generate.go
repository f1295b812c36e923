package main

// The command reference, docs/cli, is made from the commands themselves;
// internal/gendocs's test fails when it is out of date.
//go:generate go run ./internal/gendocs
