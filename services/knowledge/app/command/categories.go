package command

import (
	"context"
	"strings"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/aggregate"
	"helpdesk/services/knowledge/domain/kb"
)

// maxDepth bounds the walk up the category tree.
const maxDepth = 64

// CreateCategoryHandler adds categories.
type CreateCategoryHandler struct{ d Deps }

// NewCreateCategoryHandler returns the handler.
func NewCreateCategoryHandler(d Deps) CreateCategoryHandler {
	d.mustBeComplete("NewCreateCategoryHandler")
	return CreateCategoryHandler{d: d}
}

// Handle creates the category under its parent.
func (h CreateCategoryHandler) Handle(ctx context.Context, cmd kbapi.CreateCategory) (kbapi.Category, error) {
	who := actorOf(ctx)
	parent := strings.TrimSpace(cmd.ParentID)
	exists, err := h.d.categoryExists(ctx, parent)
	if err != nil {
		return kbapi.Category{}, err
	}
	c, err := h.d.Categories.Create(ctx, aggregate.IDFor(ctx), func() ([]events.Payload, error) {
		return kb.CreateCategory(who, cmd.Name, parent, exists)
	})
	if err != nil {
		return kbapi.Category{}, err
	}
	return h.d.withPath(ctx, c)
}

// withPath is the category's view with the names from the top level down
// to it, read from the categories' events.
func (d Deps) withPath(ctx context.Context, c *kb.Category) (kbapi.Category, error) {
	v := c.View()
	v.Path = []string{v.Name}
	for id, depth := v.ParentID, 0; id != "" && depth <= maxDepth; depth++ {
		p, _, err := d.Categories.Load(ctx, id)
		if isNotFound(err) {
			break
		}
		if err != nil {
			return kbapi.Category{}, err
		}
		pv := p.View()
		v.Path = append([]string{pv.Name}, v.Path...)
		id = pv.ParentID
	}
	return v, nil
}

// ChangeCategoryHandler renames and moves categories.
type ChangeCategoryHandler struct{ d Deps }

// NewChangeCategoryHandler returns the handler.
func NewChangeCategoryHandler(d Deps) ChangeCategoryHandler {
	d.mustBeComplete("NewChangeCategoryHandler")
	return ChangeCategoryHandler{d: d}
}

// Handle renames and/or moves the category. The path of the new parent is
// read from the categories' events, so a move can never close a cycle
// that the tree as it is would show.
func (h ChangeCategoryHandler) Handle(ctx context.Context, cmd kbapi.ChangeCategory) (kbapi.Category, error) {
	who := actorOf(ctx)
	c, err := h.d.Categories.Update(ctx, cmd.CategoryID, cmd.ExpectedVersion, func(c *kb.Category) ([]events.Payload, error) {
		var evs []events.Payload
		if cmd.Name != nil {
			e, err := c.Rename(who, *cmd.Name)
			if err != nil {
				return nil, err
			}
			evs = append(evs, e...)
		}
		if cmd.ParentID != nil {
			parent := strings.TrimSpace(*cmd.ParentID)
			path, err := h.path(ctx, parent)
			if err != nil {
				return nil, err
			}
			e, err := c.Move(who, parent, parent == "" || len(path) > 0, path)
			if err != nil {
				return nil, err
			}
			evs = append(evs, e...)
		}
		return evs, nil
	})
	if err != nil {
		return kbapi.Category{}, err
	}
	return h.d.withPath(ctx, c)
}

// path lists the ids from id up to the top level; empty when id names no
// category.
func (h ChangeCategoryHandler) path(ctx context.Context, id string) ([]string, error) {
	var path []string
	for id != "" {
		if len(path) > maxDepth {
			return nil, problem.New(problem.CodeConflict, "the category tree is deeper than %d levels", maxDepth)
		}
		c, _, err := h.d.Categories.Load(ctx, id)
		if isNotFound(err) {
			return path, nil
		}
		if err != nil {
			return nil, err
		}
		path = append(path, id)
		id = c.View().ParentID
	}
	return path, nil
}
