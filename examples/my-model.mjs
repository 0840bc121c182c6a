// lucid's optim docs example (`MyModel` with `nn.Parameter([1.0, 2.0, 3.0])`, forward = x * param),
// ported to lucid-optim. There is no autograd in JavaScript here, so the gradient of the loss is
// written by hand; everything else reads like the PyTorch/lucid loop.
//
//   node examples/my-model.mjs        (after `npm run build`; `npm run demo` runs the bigger demo)
import { init, Adam, Parameter } from 'lucid-optim';

await init();

class MyModel {
  constructor() {
    this.param = new Parameter([1.0, 2.0, 3.0], { name: 'param' });
  }
  forward(x) {
    return x.map((xi, i) => xi * this.param.data[i]);
  }
  parameters() {
    return [this.param];
  }
}

// Data: inputs x and targets x * [0.5, -1, 2]; the model has to learn param = [0.5, -1, 2].
const trueParam = [0.5, -1, 2];
const data = Array.from({ length: 300 }, (_, k) => {
  const input = [Math.sin(k), Math.cos(0.7 * k), Math.sin(1.3 * k + 1)];
  return [input, input.map((xi, i) => xi * trueParam[i])];
});

const model = new MyModel();
const optimizer = new Adam(model.parameters(), { lr: 0.05, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });

for (const [k, [input, target]] of data.entries()) {
  optimizer.zeroGrad();
  const output = model.forward(input);
  // loss = mean((output - target)^2);  d loss / d param_i = 2 (output_i - target_i) x_i / 3
  const loss = output.reduce((sum, o, i) => sum + (o - target[i]) ** 2, 0) / 3;
  model.param.grad = output.map((o, i) => (2 * (o - target[i]) * input[i]) / 3);
  optimizer.step();
  if (k % 50 === 0 || k === data.length - 1) console.log(`step ${String(k + 1).padStart(3)}  loss ${loss.toExponential(3)}`);
}
console.log('learned param:', Array.from(model.param.data, (x) => +x.toFixed(3)));

// Save and restore the optimizer state, as with optimizer.state_dict() / load_state_dict().
const optimizerState = optimizer.stateDict();
optimizer.loadStateDict(optimizerState);
