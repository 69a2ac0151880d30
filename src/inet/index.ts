export * from './ifnet.js';
export * from './stack.js';
export * from './in.js';
export * from './lltable.js';
