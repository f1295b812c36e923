//go:build !unix

package input

import "errors"

const nonBlock = 0

func mkfifo(string) error { return errors.New("FIFOs are a unix thing") }
