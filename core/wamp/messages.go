package wamp

// Message is any WAMP message. Each concrete type below is a plain struct whose
// fields follow the spec's message format in order; optional trailing Args and
// Kwargs are nil when absent (and are then omitted on the wire).
type Message interface {
	// Type returns the message's type code.
	Type() Type
}

// Hello is [HELLO, Realm|uri, Details|dict], sent by a client to open a session.
type Hello struct {
	Realm   URI
	Details Dict
}

// Welcome is [WELCOME, Session|id, Details|dict], the router's accept of a HELLO.
type Welcome struct {
	Session ID
	Details Dict
}

// Abort is [ABORT, Details|dict, Reason|uri]: the session is closed (or never opened).
type Abort struct {
	Details Dict
	Reason  URI
}

// Challenge is [CHALLENGE, AuthMethod|string, Extra|dict].
type Challenge struct {
	AuthMethod string
	Extra      Dict
}

// Authenticate is [AUTHENTICATE, Signature|string, Extra|dict].
type Authenticate struct {
	Signature string
	Extra     Dict
}

// Goodbye is [GOODBYE, Details|dict, Reason|uri]: an orderly close, sent both ways.
type Goodbye struct {
	Details Dict
	Reason  URI
}

// Error is [ERROR, REQUEST.Type|int, REQUEST.Request|id, Details|dict,
// Error|uri, Arguments|list, ArgumentsKw|dict]: a request failed.
type Error struct {
	RequestType Type
	Request     ID
	Details     Dict
	Error       URI
	Args        List
	Kwargs      Dict
}

// Publish is [PUBLISH, Request|id, Options|dict, Topic|uri, Arguments|list, ArgumentsKw|dict].
type Publish struct {
	Request ID
	Options Dict
	Topic   URI
	Args    List
	Kwargs  Dict
}

// Published is [PUBLISHED, PUBLISH.Request|id, Publication|id], the
// acknowledgement of a PUBLISH sent with acknowledge=true.
type Published struct {
	Request     ID
	Publication ID
}

// Subscribe is [SUBSCRIBE, Request|id, Options|dict, Topic|uri].
type Subscribe struct {
	Request ID
	Options Dict
	Topic   URI
}

// Subscribed is [SUBSCRIBED, SUBSCRIBE.Request|id, Subscription|id].
type Subscribed struct {
	Request      ID
	Subscription ID
}

// Unsubscribe is [UNSUBSCRIBE, Request|id, SUBSCRIBED.Subscription|id].
type Unsubscribe struct {
	Request      ID
	Subscription ID
}

// Unsubscribed is [UNSUBSCRIBED, UNSUBSCRIBE.Request|id] or, in the advanced
// profile's subscription revocation, [UNSUBSCRIBED, 0, Details|dict].
// Details is nil in the basic form.
type Unsubscribed struct {
	Request ID
	Details Dict
}

// Event is [EVENT, SUBSCRIBED.Subscription|id, PUBLISHED.Publication|id,
// Details|dict, PUBLISH.Arguments|list, PUBLISH.ArgumentsKw|dict].
type Event struct {
	Subscription ID
	Publication  ID
	Details      Dict
	Args         List
	Kwargs       Dict
}

// Call is [CALL, Request|id, Options|dict, Procedure|uri, Arguments|list, ArgumentsKw|dict].
type Call struct {
	Request   ID
	Options   Dict
	Procedure URI
	Args      List
	Kwargs    Dict
}

// Cancel is [CANCEL, CALL.Request|id, Options|dict] (advanced profile).
type Cancel struct {
	Request ID
	Options Dict
}

// Result is [RESULT, CALL.Request|id, Details|dict, YIELD.Arguments|list, YIELD.ArgumentsKw|dict].
type Result struct {
	Request ID
	Details Dict
	Args    List
	Kwargs  Dict
}

// Register is [REGISTER, Request|id, Options|dict, Procedure|uri].
type Register struct {
	Request   ID
	Options   Dict
	Procedure URI
}

// Registered is [REGISTERED, REGISTER.Request|id, Registration|id].
type Registered struct {
	Request      ID
	Registration ID
}

// Unregister is [UNREGISTER, Request|id, REGISTERED.Registration|id].
type Unregister struct {
	Request      ID
	Registration ID
}

// Unregistered is [UNREGISTERED, UNREGISTER.Request|id] or, in the advanced
// profile's registration revocation, [UNREGISTERED, 0, Details|dict].
// Details is nil in the basic form.
type Unregistered struct {
	Request ID
	Details Dict
}

// Invocation is [INVOCATION, Request|id, REGISTERED.Registration|id,
// Details|dict, CALL.Arguments|list, CALL.ArgumentsKw|dict].
type Invocation struct {
	Request      ID
	Registration ID
	Details      Dict
	Args         List
	Kwargs       Dict
}

// Interrupt is [INTERRUPT, INVOCATION.Request|id, Options|dict] (advanced profile).
type Interrupt struct {
	Request ID
	Options Dict
}

// Yield is [YIELD, INVOCATION.Request|id, Options|dict, Arguments|list, ArgumentsKw|dict].
type Yield struct {
	Request ID
	Options Dict
	Args    List
	Kwargs  Dict
}

func (*Hello) Type() Type        { return HELLO }
func (*Welcome) Type() Type      { return WELCOME }
func (*Abort) Type() Type        { return ABORT }
func (*Challenge) Type() Type    { return CHALLENGE }
func (*Authenticate) Type() Type { return AUTHENTICATE }
func (*Goodbye) Type() Type      { return GOODBYE }
func (*Error) Type() Type        { return ERROR }
func (*Publish) Type() Type      { return PUBLISH }
func (*Published) Type() Type    { return PUBLISHED }
func (*Subscribe) Type() Type    { return SUBSCRIBE }
func (*Subscribed) Type() Type   { return SUBSCRIBED }
func (*Unsubscribe) Type() Type  { return UNSUBSCRIBE }
func (*Unsubscribed) Type() Type { return UNSUBSCRIBED }
func (*Event) Type() Type        { return EVENT }
func (*Call) Type() Type         { return CALL }
func (*Cancel) Type() Type       { return CANCEL }
func (*Result) Type() Type       { return RESULT }
func (*Register) Type() Type     { return REGISTER }
func (*Registered) Type() Type   { return REGISTERED }
func (*Unregister) Type() Type   { return UNREGISTER }
func (*Unregistered) Type() Type { return UNREGISTERED }
func (*Invocation) Type() Type   { return INVOCATION }
func (*Interrupt) Type() Type    { return INTERRUPT }
func (*Yield) Type() Type        { return YIELD }
