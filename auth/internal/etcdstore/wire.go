package etcdstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// The messages of etcd's v3 JSON gateway that the engine uses, named and
// shaped as in etcd's api/etcdserverpb/rpc.proto. Keys and values are
// []byte, which encoding/json writes as base64 as the gateway expects;
// int64 fields are [num], which the gateway writes as JSON strings. The
// gateway leaves out fields at their zero value, so every answer's field
// is zero when absent.

// num is an int64 of the gateway: written as a JSON string ("42"), read
// from a string or a bare number.
type num int64

// MarshalJSON writes n as a quoted decimal, as the gateway writes int64s.
func (n num) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

// UnmarshalJSON reads a quoted or bare decimal.
func (n *num) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*n = num(v)
	return nil
}

// header is every answer's ResponseHeader; revision is the store's
// revision when the request was served.
type header struct {
	Revision num `json:"revision"`
}

// keyValue is mvccpb.KeyValue.
type keyValue struct {
	Key            []byte `json:"key"`
	Value          []byte `json:"value"`
	CreateRevision num    `json:"create_revision"`
	ModRevision    num    `json:"mod_revision"`
	Lease          num    `json:"lease"`
}

// rangeRequest is RangeRequest: the key, or the keys from key up to
// range_end, optionally sorted, limited, counted only or without values.
type rangeRequest struct {
	Key               []byte `json:"key"`
	RangeEnd          []byte `json:"range_end,omitempty"`
	Limit             num    `json:"limit,omitempty"`
	SortOrder         string `json:"sort_order,omitempty"`  // NONE, ASCEND, DESCEND
	SortTarget        string `json:"sort_target,omitempty"` // KEY, VERSION, CREATE, MOD, VALUE
	KeysOnly          bool   `json:"keys_only,omitempty"`
	CountOnly         bool   `json:"count_only,omitempty"`
	MaxCreateRevision num    `json:"max_create_revision,omitempty"`
}

// rangeResponse is RangeResponse.
type rangeResponse struct {
	Header header     `json:"header"`
	Kvs    []keyValue `json:"kvs"`
	Count  num        `json:"count"`
}

// putRequest is PutRequest.
type putRequest struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
	Lease num    `json:"lease,omitempty"`
}

// deleteRangeRequest is DeleteRangeRequest.
type deleteRangeRequest struct {
	Key      []byte `json:"key"`
	RangeEnd []byte `json:"range_end,omitempty"`
}

// compare is one Compare of a transaction, on a revision: the key's
// create_revision (target CREATE) or mod_revision (target MOD) equal to
// the value given. 0 means the key does not exist.
type compare struct {
	Key            []byte `json:"key"`
	Target         string `json:"target"` // CREATE or MOD
	Result         string `json:"result"` // EQUAL
	CreateRevision *num   `json:"create_revision,omitempty"`
	ModRevision    *num   `json:"mod_revision,omitempty"`
}

// createdAt compares key's create_revision with rev.
func createdAt(key string, rev int64) compare {
	n := num(rev)
	return compare{Key: []byte(key), Target: "CREATE", Result: "EQUAL", CreateRevision: &n}
}

// modifiedAt compares key's mod_revision with rev.
func modifiedAt(key string, rev int64) compare {
	n := num(rev)
	return compare{Key: []byte(key), Target: "MOD", Result: "EQUAL", ModRevision: &n}
}

// requestOp is RequestOp: exactly one of its fields is set.
type requestOp struct {
	RequestRange       *rangeRequest       `json:"request_range,omitempty"`
	RequestPut         *putRequest         `json:"request_put,omitempty"`
	RequestDeleteRange *deleteRangeRequest `json:"request_delete_range,omitempty"`
	RequestTxn         *txnRequest         `json:"request_txn,omitempty"`
}

// txnRequest is TxnRequest: success runs if every compare holds, else
// failure.
type txnRequest struct {
	Compare []compare   `json:"compare"`
	Success []requestOp `json:"success,omitempty"`
	Failure []requestOp `json:"failure,omitempty"`
}

// responseOp is ResponseOp, the answer of one requestOp.
type responseOp struct {
	ResponseRange *rangeResponse `json:"response_range"`
	ResponseTxn   *txnResponse   `json:"response_txn"`
}

// txnResponse is TxnResponse.
type txnResponse struct {
	Header    header       `json:"header"`
	Succeeded bool         `json:"succeeded"`
	Responses []responseOp `json:"responses"`
}

// rangeAt returns the range answer of op i, empty if there is none.
func (r *txnResponse) rangeAt(i int) rangeResponse {
	if i < len(r.Responses) && r.Responses[i].ResponseRange != nil {
		return *r.Responses[i].ResponseRange
	}
	return rangeResponse{}
}

// txnAt reports whether the nested transaction of op i succeeded.
func (r *txnResponse) txnAt(i int) bool {
	return i < len(r.Responses) && r.Responses[i].ResponseTxn != nil && r.Responses[i].ResponseTxn.Succeeded
}

// leaseGrantRequest is LeaseGrantRequest; the cluster picks the ID.
type leaseGrantRequest struct {
	TTL num `json:"TTL"`
}

// leaseGrantResponse is LeaseGrantResponse.
type leaseGrantResponse struct {
	ID    num    `json:"ID"`
	TTL   num    `json:"TTL"`
	Error string `json:"error"`
}

// leaseRequest is LeaseRevokeRequest and LeaseTimeToLiveRequest.
type leaseRequest struct {
	ID   num  `json:"ID"`
	Keys bool `json:"keys,omitempty"`
}

// leaseTimeToLiveResponse is LeaseTimeToLiveResponse: TTL is -1 when the
// lease is gone; keys are the keys attached to it, when asked.
type leaseTimeToLiveResponse struct {
	TTL  num      `json:"TTL"`
	Keys [][]byte `json:"keys"`
}

// authenticateRequest is AuthenticateRequest.
type authenticateRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// authenticateResponse is AuthenticateResponse.
type authenticateResponse struct {
	Token string `json:"token"`
}

// gatewayErrorBody is what the gateway answers with a non-200 status.
type gatewayErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    int    `json:"code"`
}

// emptyJSON is for answers whose content is not needed.
type emptyJSON struct{}

var _ json.Marshaler = num(0)
