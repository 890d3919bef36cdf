package admin

// SubjectType says who a grant is for.
type SubjectType string

// The subjects of a grant.
const (
	SubjectUser  SubjectType = "user"
	SubjectGroup SubjectType = "group"
)

// TeamConflict is a user who would be on two teams of one project (R-P2).
type TeamConflict struct {
	UserID     string
	ProjectKey string
	GroupID    string // the other team
}
