//go:build !unix

package coze

// osVersion is unknown here; coze-go leaves it empty as well.
func osVersion() string { return "" }
