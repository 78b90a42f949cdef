package kb

import (
	"slices"
	"strings"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
)

// MaxCategoryName is the longest category name, in characters.
const MaxCategoryName = 100

// Category is one node of the category tree. Articles refer to a category
// by id, so renaming or moving a category never touches them.
type Category struct {
	id        string
	version   uint64
	name      string
	parentID  string
	createdAt time.Time
	updatedAt time.Time
}

// CreateCategory validates a new category. Only supervisors and admins
// manage categories.
// parentExists tells whether the parent (if any) was found.
func CreateCategory(a Actor, name, parentID string, parentExists bool) ([]events.Payload, error) {
	if !authz.Allowed(a.Role, authz.KBCategoryManage) {
		return nil, denied("only supervisors and admins can manage categories")
	}
	name = strings.TrimSpace(name)
	if bad := problem.CheckText(nil, "name", name, MaxCategoryName, true, false); len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if parentID != "" && !parentExists {
		return nil, problem.Validation(problem.FieldError{Field: "parent_id", Message: "names no category"})
	}
	return []events.Payload{kbapi.CategoryCreated{Name: name, ParentID: parentID}}, nil
}

// Rename gives the category a new name; the same name changes nothing.
func (c *Category) Rename(a Actor, name string) ([]events.Payload, error) {
	if !authz.Allowed(a.Role, authz.KBCategoryManage) {
		return nil, denied("only supervisors and admins can manage categories")
	}
	name = strings.TrimSpace(name)
	if bad := problem.CheckText(nil, "name", name, MaxCategoryName, true, false); len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if name == c.name {
		return nil, nil
	}
	return c.record(kbapi.CategoryRenamed{Name: name, PreviousName: c.name}), nil
}

// Move puts the category under parentID ("" for the top level).
// parentPath lists the ids from the new parent up to the top level, as the
// tree is now; parentExists tells whether the parent was found. A category
// cannot move under itself or under one of its descendants.
func (c *Category) Move(a Actor, parentID string, parentExists bool, parentPath []string) ([]events.Payload, error) {
	if !authz.Allowed(a.Role, authz.KBCategoryManage) {
		return nil, denied("only supervisors and admins can manage categories")
	}
	if parentID == c.parentID {
		return nil, nil
	}
	if parentID != "" && !parentExists {
		return nil, problem.Validation(problem.FieldError{Field: "parent_id", Message: "names no category"})
	}
	if parentID == c.id || slices.Contains(parentPath, c.id) {
		return nil, problem.New(problem.CodeConflict, "category %s cannot move under itself or one of its descendants", c.id)
	}
	return c.record(kbapi.CategoryMoved{ParentID: parentID, PreviousParentID: c.parentID}), nil
}

// CategoryFromEvents rebuilds a category from its events in order.
func CategoryFromEvents(evs []events.Envelope) (*Category, error) {
	c := &Category{}
	for _, e := range evs {
		var p events.Payload
		var err error
		switch e.Type {
		case kbapi.EventCategoryCreated:
			p, err = decodeAs[kbapi.CategoryCreated](e)
		case kbapi.EventCategoryRenamed:
			p, err = decodeAs[kbapi.CategoryRenamed](e)
		case kbapi.EventCategoryMoved:
			p, err = decodeAs[kbapi.CategoryMoved](e)
		default:
			err = unknown(e)
		}
		if err != nil {
			return nil, err
		}
		c.apply(p, e.OccurredAt)
		c.id, c.version = e.AggregateID, e.AggregateVersion
	}
	return c, nil
}

func (c *Category) apply(p events.Payload, at time.Time) {
	c.updatedAt = at
	switch e := p.(type) {
	case kbapi.CategoryCreated:
		c.name, c.parentID, c.createdAt = e.Name, e.ParentID, at
	case kbapi.CategoryRenamed:
		c.name = e.Name
	case kbapi.CategoryMoved:
		c.parentID = e.ParentID
	}
}

func (c *Category) record(p events.Payload) []events.Payload {
	c.apply(p, c.updatedAt)
	return []events.Payload{p}
}

// Version is the stream sequence of the category's last event.
func (c *Category) Version() uint64 { return c.version }

// ID is the category's id.
func (c *Category) ID() string { return c.id }

// View is the category as clients see it, without path and counts, which
// come from the read model.
func (c *Category) View() kbapi.Category {
	return kbapi.Category{
		ID: c.id, Version: c.version, Name: c.name, ParentID: c.parentID,
		Path: []string{}, CreatedAt: c.createdAt, UpdatedAt: c.updatedAt,
	}
}
