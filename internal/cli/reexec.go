package cli

import (
	"fmt"
	"os"
	"os/exec"
)

// Reexec starts Path, this very cozeauth binary, as the refresher: with
// [RefresherCommand], in a session of its own (no terminal, no process
// group to be killed with), its standard streams on /dev/null so that no
// reader of the command's output waits for it. The request goes in on
// file descriptor 3, the answer comes back on 4: a refresher whose caller
// is gone gets an error writing it, not a SIGPIPE.
type Reexec struct{ Path string }

// Start starts the refresher and hands it request.
func (r Reexec) Start(request []byte) (*RefresherProcess, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	ansR, ansW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, err
	}
	cmd := exec.Command(r.Path, RefresherCommand)
	cmd.ExtraFiles = []*os.File{reqR, ansW} // 3 and 4
	cmd.SysProcAttr = ownSession()
	err = cmd.Start()
	reqR.Close() // the refresher holds its own copies
	ansW.Close()
	if err != nil {
		reqW.Close()
		ansR.Close()
		return nil, fmt.Errorf("could not run %s: %w", r.Path, err)
	}
	// A refresher that died at once fails the write; its missing answer
	// says so.
	_, _ = reqW.Write(request)
	reqW.Close()
	return &RefresherProcess{Pid: cmd.Process.Pid, Answer: ansR, Wait: cmd.Wait}, nil
}

// RefresherFiles are the request and answer streams of the refresher
// process that [Reexec] starts.
func RefresherFiles() (request, answer *os.File) {
	return os.NewFile(3, "refresher request"), os.NewFile(4, "refresher answer")
}
