package authcrypto

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"testing"
)

// The salted key of WAMP-CRA as autobahn derives it: Crossbar's WAMP-CRA
// example stores this key for password "secret1", salt "salt123", 100
// iterations, 16 bytes.
func TestDeriveCRAKey(t *testing.T) {
	k, err := DeriveCRAKey("secret1", "salt123", 100, 16)
	if err != nil || k != "prq7+YkJ1/KlW1X0YczMHw==" {
		t.Fatalf("DeriveCRAKey = %q, %v", k, err)
	}
	if _, err := DeriveCRAKey("x", "s", 0, 32); err == nil {
		t.Fatal("0 iterations accepted")
	}
}

func TestSignVerifyCRA(t *testing.T) {
	sig := SignCRA("key", `{"nonce":"n"}`)
	if !VerifyCRA("key", `{"nonce":"n"}`, sig) {
		t.Fatal("own signature refused")
	}
	for _, bad := range []string{"", "not base64!", SignCRA("key2", `{"nonce":"n"}`), SignCRA("key", `{"nonce":"m"}`), sig[:len(sig)-4]} {
		if VerifyCRA("key", `{"nonce":"n"}`, bad) {
			t.Fatalf("signature %q accepted", bad)
		}
	}
}

// The specification's cryptosign test vectors, with and without a channel ID.
func TestCryptosignVectors(t *testing.T) {
	const cid = "62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff"
	vectors := []struct{ channelID, key, challenge, signature string }{
		{"", "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
			"b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
		{"", "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd", "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
			"d4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5bd64ce725cd8dceb344e6d11c09d1aaaf4d660fb26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d"},
		{cid, "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
			"9b6f41540c9b95b4b7b281c3042fa9c54cef43c842d62ea3fd6030fcb66e70b3e80d49d44c29d1635da9348d02ec93f3ed1ef227dfb59a07b580095c2b82f80f9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac6fd80d00"},
		{cid, "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd", "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
			"305aaa3ac25e98f651427688b3fc43fe7d8a68a7ec1d7d61c61517c519bd4a427c3015599d83ca28b4c652333920223844ef0725eb5dc2febfd6af7677b73f01d0852a29b460fc92ec943242ac638a053bbacc200512b18b30d15083cbdc9282"},
	}
	for _, v := range vectors {
		seed, _ := hex.DecodeString(v.key)
		ch, _ := hex.DecodeString(v.challenge)
		var id []byte
		if v.channelID != "" {
			id, _ = hex.DecodeString(v.channelID)
		}
		msg, err := CryptosignMessage(ch, id)
		if err != nil {
			t.Fatal(err)
		}
		sig := ed25519.Sign(ed25519.NewKeyFromSeed(seed), msg)
		if got := hex.EncodeToString(append(sig, msg...)); got != v.signature {
			t.Errorf("key %s…: signature\n %s\nwant\n %s", v.key[:8], got, v.signature)
		}
	}
	if _, err := CryptosignMessage(make([]byte, 31), nil); err == nil {
		t.Fatal("short challenge accepted")
	}
	if _, err := CryptosignMessage(make([]byte, 32), make([]byte, 12)); err == nil {
		t.Fatal("short channel ID accepted")
	}
}

// RFC 7677's SCRAM-SHA-256 example (user "user", password "pencil"), which
// the WAMP-SCRAM specification reuses for its proof and verifier.
func TestSCRAMRFC7677(t *testing.T) {
	const (
		clientNonce = "rOprNGfwEbeRWgbNEkqO"
		nonce       = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
		salt        = "W22ZaJ0SNY7soEsUEjb6gQ=="
	)
	p := SCRAMParams{KDF: KDFPBKDF2, Salt: salt, Iterations: 4096}
	salted, err := SaltedPassword("pencil", p)
	if err != nil {
		t.Fatal(err)
	}
	ck, sk, srv := SCRAMKeys(salted)
	am := SCRAMAuthMessage("user", clientNonce, nonce, salt, 4096)
	proof := SCRAMProof(ck, sk, am)
	if got := base64.StdEncoding.EncodeToString(proof); got != "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=" {
		t.Fatalf("proof %s", got)
	}
	if got := base64.StdEncoding.EncodeToString(SCRAMServerSignature(srv, am)); got != "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Fatalf("server signature %s", got)
	}
	if !SCRAMVerifyProof(sk, proof, am) {
		t.Fatal("proof refused")
	}
	proof[0] ^= 1
	if SCRAMVerifyProof(sk, proof, am) || SCRAMVerifyProof(sk, proof[:31], am) {
		t.Fatal("forged proof accepted")
	}
}

func TestSCRAMArgon2AndParams(t *testing.T) {
	p := SCRAMParams{KDF: KDFArgon2id, Salt: base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")), Iterations: 1, Memory: 64}
	a, err := SaltedPassword("pw", p)
	if err != nil || len(a) != 32 {
		t.Fatalf("argon2id: %x %v", a, err)
	}
	b, _ := SaltedPassword("pw2", p)
	if string(a) == string(b) {
		t.Fatal("different passwords, same key")
	}
	for _, bad := range []SCRAMParams{
		{KDF: "md5", Salt: "c2FsdA==", Iterations: 1},
		{KDF: KDFPBKDF2, Salt: "", Iterations: 1},
		{KDF: KDFPBKDF2, Salt: "!!", Iterations: 1},
		{KDF: KDFPBKDF2, Salt: "c2FsdA==", Iterations: 0},
		{KDF: KDFPBKDF2, Salt: "c2FsdA==", Iterations: 1 << 30},
		{KDF: KDFArgon2id, Salt: "c2FsdA==", Iterations: 1, Memory: 1 << 30},
	} {
		if _, err := SaltedPassword("pw", bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if am := SCRAMAuthMessage("a,b=c", "x", "xy", "s", 1); am != "n=a=2Cb=3Dc,r=x,r=xy,s=s,i=1,c=biws,r=xy" {
		t.Fatalf("escaped auth message %q", am)
	}
}
