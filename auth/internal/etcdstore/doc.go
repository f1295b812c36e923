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
// The engine speaks to etcd's v3 JSON gateway (POST /v3/<service>/<method>,
// served on every client URL since etcd 3.3) with net/http and
// encoding/json only: etcd's gRPC client would cost every cozeauth
// command some 3 ms of package init, shared login or not. It tries the
// members in the order given, sticks to the one that last answered, and
// moves on when one cannot be reached, has no leader, or times out.
//
// Each profile's record is the value of <prefix>/profiles/<profile>, its
// version the key's ModRevision. The refresh lock is etcd's mutex
// algorithm on <prefix>/locks/<profile>/: a waiter's key on a 90 s lease,
// held once every key made before it is gone. The lease is not kept
// alive; a holding lasts well under a minute and Alive reports what is
// left of it. Every write is one transaction that holds only while this
// lock's key is still the one it made and the record is at the version
// read: a holder whose lease lapsed cannot overwrite the next holder's
// record. The package knows nothing of what a record means; auth does.
package etcdstore
