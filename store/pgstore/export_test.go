package pgstore

// The statements of Apply, for TestApplyPlans.
const (
	ApplyLockSQL  = applyLockSQL
	ApplyWriteSQL = applyWriteSQL
)
