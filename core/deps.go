package core

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"sync"
	"sync/atomic"
)

// Application-wide dependencies, the Go form of serverwamp's default
// arguments: values (a database handle, a metrics registry, a clock) that
// every handler reaches through its context instead of through globals.
//
//	core.Provide(app, store)              // *Store for every realm
//	core.Provide[Clock](realm, fakeClock) // an interface type, for one realm
//	...
//	store := core.MustDep[*Store](ctx)    // in any handler
//
// A dependency is keyed by its type argument T (so Provide[Clock] and
// Dep[*realClock] are different keys). A realm's dependency of type T
// overrides the application's. Every handler context carries them:
// procedures, topic handlers and their onLeave, session hooks and their
// onClose, and authenticators.

// Scope is where dependencies are provided: an *Application (every realm,
// including realms added later) or a *Realm (that realm only).
type Scope interface {
	depScope() *depScope
}

func (a *Application) depScope() *depScope { return &a.sc.deps }
func (r *Realm) depScope() *depScope       { return &r.sc.deps }

// depKey[T] is the map key of dependencies of type T: a distinct
// comparable type per T, so lookups need no reflection.
type depKey[T any] struct{}

// depEntry is a provided value, or a factory called on each lookup.
type depEntry struct {
	v       any
	factory func(ctx context.Context) any
}

// depScope is one scope's dependencies: copy-on-write, read without locks.
type depScope struct {
	mu sync.Mutex
	m  atomic.Pointer[map[any]depEntry]
}

func (d *depScope) set(k any, e depEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := map[any]depEntry{}
	if old := d.m.Load(); old != nil {
		m = maps.Clone(*old)
	}
	m[k] = e
	d.m.Store(&m)
}

func (d *depScope) get(k any) (depEntry, bool) {
	m := d.m.Load()
	if m == nil {
		return depEntry{}, false
	}
	e, ok := (*m)[k]
	return e, ok
}

// Provide makes v the dependency of type T in scope s (replacing an earlier
// one). Safe for concurrent use; handlers running at the time see either
// value.
func Provide[T any](s Scope, v T) {
	s.depScope().set(depKey[T]{}, depEntry{v: v})
}

// ProvideFunc makes f the factory of the dependency of type T in scope s
// (serverwamp's factory=): every Dep[T] lookup calls f with the handler's
// context, so f can build a per-call or per-session value (SessionFrom(ctx)
// gives the session where there is one). Keep the result in a variable if
// it is needed more than once.
func ProvideFunc[T any](s Scope, f func(ctx context.Context) T) {
	if f == nil {
		return
	}
	s.depScope().set(depKey[T]{}, depEntry{factory: func(ctx context.Context) any { return f(ctx) }})
}

// Dep returns the dependency of type T that the handler's ctx carries: the
// realm's if it has one, else the application's. ok is false when there is
// none, or when ctx is not a handler's context.
func Dep[T any](ctx context.Context) (T, bool) {
	var zero T
	env := envFrom(ctx)
	if env == nil || env.realm == nil {
		return zero, false
	}
	e, ok := env.realm.sc.deps.get(depKey[T]{})
	if !ok {
		e, ok = env.realm.app.sc.deps.get(depKey[T]{})
	}
	if !ok {
		return zero, false
	}
	v := e.v
	if e.factory != nil {
		v = e.factory(ctx)
	}
	t, ok := v.(T)
	return t, ok
}

// MustDep is Dep for dependencies the application always provides: it
// panics (a programming error, recovered and logged like any handler
// panic) when there is none.
func MustDep[T any](ctx context.Context) T {
	v, ok := Dep[T](ctx)
	if !ok {
		panic(fmt.Sprintf("core: MustDep: no dependency of type %v provided", reflect.TypeFor[T]())) // reflection only on this error path
	}
	return v
}

// handlerEnv is what every handler context carries: its realm and, when
// there is one, its session.
type handlerEnv struct {
	realm   *Realm
	session *Session
}

type envKey struct{}

// handlerContext returns the context a handler of r runs with: parent plus
// the realm (for dependencies) and the session s (nil when none). Every
// handler the engine runs gets one: procedures, topic handlers, session
// hooks, cleanups and authenticators.
func (r *Realm) handlerContext(parent context.Context, s *Session) context.Context {
	return context.WithValue(parent, envKey{}, &handlerEnv{realm: r, session: s})
}

func envFrom(ctx context.Context) *handlerEnv {
	env, _ := ctx.Value(envKey{}).(*handlerEnv)
	return env
}

// RealmFrom returns the realm whose handler ctx belongs to.
func RealmFrom(ctx context.Context) (*Realm, bool) {
	if env := envFrom(ctx); env != nil && env.realm != nil {
		return env.realm, true
	}
	return nil, false
}

// sessionFromEnv returns the session of a handler context made by
// handlerContext (topic handlers, session hooks, cleanups).
func sessionFromEnv(ctx context.Context) (*Session, bool) {
	if env := envFrom(ctx); env != nil && env.session != nil {
		return env.session, true
	}
	return nil, false
}
