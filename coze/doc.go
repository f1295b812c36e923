// Package coze is Coze's wire vocabulary, shared by every part of cozeauth
// that talks to Coze or explains its answers: the two regions and their
// hosts (with the www. and ws. hosts derived from an API base, as the SDKs
// derive them), the open API's reply envelope ([ParseReply], [APIError],
// [LogIDHeader]), the codes that mean a token was refused ([TokenRefused]),
// who a token belongs to ([User]), the shape a token must have
// ([CheckToken]), the headers that name the client ([SetUserAgent]) and
// [Sanitize] for any text a server chose.
//
// It is a leaf: it imports only the standard library and x/sys, never the
// token store, the keyring, the lock or JWT signing, so that the probe can
// use it without them. It keeps no state, sends nothing and prints nothing.
package coze
