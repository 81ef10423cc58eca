package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestUsersAndSessionsBothEngines: dashboard accounts and sessions on both
// engines. Usernames are one account whatever their ASCII case (SQLite's
// NOCASE), listed in that order; a password change ends the other
// sessions, a deactivation all of them; the audit log reads newest first.
func TestUsersAndSessionsBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now})
		for _, name := range []string{"beto", "Ana", "carla"} {
			if _, err := s.CreateUser(ctx, name, "advisor", "hash-"+name); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateUser(ctx, "ANA", "admin", "x"); !errors.Is(err, ErrExists) {
			t.Errorf("CreateUser(ANA) beside Ana: %v; want ErrExists", err)
		}
		u, err := s.UserByName(ctx, "aNa")
		if err != nil || u.Username != "Ana" || u.Role != "advisor" {
			t.Fatalf("UserByName(aNa) = %+v, %v; want Ana", u, err)
		}
		if n, err := s.CountUsers(ctx); err != nil || n != 3 {
			t.Errorf("CountUsers = %d, %v; want 3", n, err)
		}
		us, err := s.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range us {
			names = append(names, x.Username)
		}
		if fmt.Sprint(names) != "[Ana beto carla]" {
			t.Errorf("Users = %v; want [Ana beto carla] (without regard to case)", names)
		}
		for _, tok := range []string{"t1", "t2"} {
			if err := s.CreateSession(ctx, tok, u.ID, "csrf-"+tok); err != nil {
				t.Fatal(err)
			}
		}
		clock.Add(time.Minute)
		if err := s.TouchSession(ctx, "t1"); err != nil {
			t.Fatal(err)
		}
		sess, err := s.SessionByHash(ctx, "t1")
		if err != nil || sess.User.ID != u.ID || sess.CSRFToken != "csrf-t1" || !sess.LastSeenAt.Equal(clock.Now()) {
			t.Errorf("SessionByHash(t1) = %+v, %v", sess, err)
		}
		if err := s.SetPassword(ctx, u.ID, "new-hash", "t1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByHash(ctx, "t2"); !errors.Is(err, ErrNotFound) {
			t.Errorf("the other session after a password change: %v; want ErrNotFound", err)
		}
		if err := s.SetActive(ctx, u.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByHash(ctx, "t1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a session of a deactivated account: %v; want ErrNotFound", err)
		}
		if u, err := s.UserByID(ctx, u.ID); err != nil || u.Active || u.PasswordHash != "new-hash" {
			t.Errorf("UserByID = %+v, %v; want inactive with the new hash", u, err)
		}
		if err := s.CreateSession(ctx, "t3", u.ID, "c"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(ctx, "t3"); err != nil {
			t.Fatal(err)
		}
		for i, action := range []string{"login", "lead_viewed"} {
			if err := s.Audit(ctx, AuditEntry{UserID: u.ID, Action: action, Object: fmt.Sprintf("lead:%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if a, err := s.RecentAudit(ctx, 10); err != nil || len(a) != 2 || a[0].Action != "lead_viewed" {
			t.Errorf("RecentAudit = %+v, %v; want lead_viewed then login", a, err)
		}
	})
}
