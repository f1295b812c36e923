// Package filestore is the file mechanics under auth's token store: files
// opened only when they are regular files of bounded size (never through a
// link or into a FIFO), staged writes that prove the directory takes a file
// before anything is spent at Coze and then replace the target atomically,
// the cross-process lock (flock where there is one, gofrs/flock elsewhere),
// and the checks of a private directory of this user's that a rescue file
// may use. It knows nothing of tokens, profiles or Coze, and prints nothing:
// what to warn about is the caller's.
package filestore
