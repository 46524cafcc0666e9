package cluster

import (
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Subjects (P is Config.SubjectPrefix):
//
//	P.ctl                     control: heartbeats, state deltas and
//	                          snapshots, sync requests, goodbyes (ctlMsg);
//	                          every node subscribes
//	P.m.<realm>.<to>.<from>   what node <from>'s presence in <realm> sends
//	                          node <to>: one WAMP message (msgpack); <to>
//	                          subscribes to P.m.<realm>.<to>.* for every
//	                          realm it serves
//
// One connection per node and one subject per (realm, target node) keep
// the order of what one node sends another in one realm: NATS delivers
// one publisher's messages on one subject in order.

// ctlSubject is the control subject.
func ctlSubject(prefix string) string { return prefix + ".ctl" }

// msgSubject is the subject of what from sends to in realm.
func msgSubject(prefix string, realm wamp.URI, to, from string) string {
	return prefix + ".m." + escapeRealm(realm) + "." + to + "." + from
}

// inboxSubject is what a node subscribes to for realm.
func inboxSubject(prefix string, realm wamp.URI, me string) string {
	return prefix + ".m." + escapeRealm(realm) + "." + me + ".*"
}

// fromOfSubject is the last token of a msgSubject: the sending node.
func fromOfSubject(subject string) string {
	return subject[strings.LastIndexByte(subject, '.')+1:]
}

// escapeRealm turns a realm URI into one subject token, injectively:
// letters, digits and '-' stay, every other byte becomes '_' and two hex
// digits ("com.example" -> "com_2Eexample").
func escapeRealm(realm wamp.URI) string {
	s := string(realm)
	if validRealmToken(s) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if tokenByte(c) && c != '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func validRealmToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) || s[i] == '_' {
			return false
		}
	}
	return s != ""
}

func tokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// validToken reports whether s is a non-empty subject token of letters,
// digits, '-' and '_' (a node name).
func validToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			return false
		}
	}
	return true
}

// validPrefix reports whether s is dot-separated valid tokens.
func validPrefix(s string) bool {
	for _, t := range strings.Split(s, ".") {
		if !validToken(t) {
			return false
		}
	}
	return true
}

// Control message kinds (ctlMsg.Kind).
const (
	ctlHeartbeat uint8 = iota + 1 // Node lives; Ver is its state version
	ctlDelta                      // one entry of Realm's state added (or Del) at Ver
	ctlSnapshot                   // all of Realm's state at Ver (replaces what the receiver holds)
	ctlSync                       // Node asks Target ("" = every node) for its snapshots
	ctlBye                        // Node leaves the cluster
	ctlRealmGone                  // Node no longer serves Realm (at Ver)
)

// ctlMsg is one control message, encoded as a msgpack array. Unknown
// kinds are ignored, so a newer node may add some.
type ctlMsg struct {
	_msgpack struct{} `msgpack:",as_array"`
	Kind     uint8
	Node     string
	// Inc is the node's incarnation: drawn at start, so that a node that
	// restarts under the same name is known as new.
	Inc uint64
	// Ver is the node's state version: one more at every delta, across
	// its realms. A receiver that sees a gap asks for the snapshots.
	Ver     uint64
	Realm   string
	Entries []entry
	Del     bool   // ctlDelta: the entry was removed
	Target  string // ctlSync
	// Last marks the last snapshot of one round (ctlSnapshot): the
	// receiver knows every realm of the node from then on.
	Last bool
}

// entry is one piece of a node's announced state in a realm: a
// subscription interest, a registration, a session. Key identifies it
// within its Kind; Value is what the kind's handler needs.
type entry struct {
	_msgpack struct{} `msgpack:",as_array"`
	Kind     Kind
	Key      string
	Value    []any
}

func encodeCtl(m *ctlMsg) ([]byte, error) { return msgpack.Marshal(m) }

func decodeCtl(b []byte) (*ctlMsg, error) {
	if err := checkCtl(b); err != nil {
		return nil, err
	}
	m := new(ctlMsg)
	if err := msgpack.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("cluster: bad control message: %w", err)
	}
	return m, nil
}

// encodeMsg is a node message's payload: the WAMP message in msgpack,
// the serializer that round-trips every WAMP value (binary included).
func encodeMsg(m wamp.Message) ([]byte, error) { return serialize.MsgPack.Append(nil, m) }

func decodeMsg(b []byte) (wamp.Message, error) { return serialize.MsgPack.Decode(b) }
