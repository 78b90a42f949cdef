package authz

import "helpdesk/contracts/custapi"

// requesterSteps are the steps of a custom-development request that its
// requester takes; staff take the others.
var requesterSteps = map[string]bool{
	custapi.StepApprove: true, custapi.StepRequestReestimate: true, custapi.StepChangeScope: true,
	custapi.StepAccept: true, custapi.StepRework: true, custapi.StepCancel: true,
}

// CustomizationStep is the operation of a workflow step of a
// custom-development request: CustomizationDecide for the requester's steps,
// CustomizationWork for the staff's.
func CustomizationStep(step string) Operation {
	if requesterSteps[step] {
		return CustomizationDecide
	}
	return CustomizationWork
}
