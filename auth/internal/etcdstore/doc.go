// Package etcdstore is the etcd engine of a shared login (issue 19): an
// implementation of [shared.Engine] over an etcd v3 cluster, opened from
//
//	etcd://host:port[,host:port…]/prefix[?cacert=F&cert=F&key=F&user=U&password=P]
//
// The prefix defaults to [DefaultPrefix]. TLS is used when a CA or client
// certificate is given; values the URL leaves out come from ETCDCTL_CACERT,
// ETCDCTL_CERT, ETCDCTL_KEY, ETCDCTL_USER (user or user:password) and
// ETCDCTL_PASSWORD, as for etcdctl.
//
// Each profile's record is the value of <prefix>/profiles/<profile>, its
// version the key's ModRevision. The refresh lock is an etcd mutex on
// <prefix>/locks/<profile> bound to a 60 s lease kept alive while it is
// held, and every write is one transaction that holds only while this
// lock's key still owns the mutex and the record is at the version read:
// a holder whose lease lapsed cannot overwrite the next holder's record.
// The package knows nothing of what a record means; auth does.
package etcdstore
