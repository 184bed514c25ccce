// What the inbox learnt about documents, for the document view: the step each waiting
// document is at for me (covers delegated items, which the route does not name me in).
/** @type {Map<number, {step:any, on_behalf_of:any}>} */
export const waitingSteps = new Map();
