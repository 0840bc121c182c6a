// The optimizers the demos offer, by the name a user picks (the Node demo's --optimizer, the page's
// menu): torch's name of it, lucid-optim's class, and the learning rate the demos start it with on the spiral (torch's
// defaults span 1e-3 to 1; these train the demo's perceptron well in 3,000 full-batch steps, and sit
// on the page's lr slider, whose steps are 0.05 apart in log10).

import { ASGD, Adadelta, Adagrad, Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Rprop, SGD } from 'lucid-optim';

export const OPTIMIZERS = Object.freeze({
  adam: { name: 'Adam', Class: Adam, lr: 0.01 },
  adamw: { name: 'AdamW', Class: AdamW, lr: 0.01 },
  sgd: { name: 'SGD', Class: SGD, lr: 0.1 },
  rmsprop: { name: 'RMSprop', Class: RMSprop, lr: 0.002 },
  adagrad: { name: 'Adagrad', Class: Adagrad, lr: 0.1 },
  adadelta: { name: 'Adadelta', Class: Adadelta, lr: 1 },
  adamax: { name: 'Adamax', Class: Adamax, lr: 0.02 },
  nadam: { name: 'NAdam', Class: NAdam, lr: 0.01 },
  radam: { name: 'RAdam', Class: RAdam, lr: 0.01 },
  asgd: { name: 'ASGD', Class: ASGD, lr: 0.2 },
  rprop: { name: 'Rprop', Class: Rprop, lr: 0.01 },
});

/** The options a class has (its torch defaults, lucid's names): a throwaway optimizer over no parameters says. */
export function optionsOf(Class) {
  const probe = new Class([{ params: [] }]);
  const defaults = probe.defaults;
  probe.dispose();
  return defaults;
}
