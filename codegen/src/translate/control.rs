//! Structured control flow: `block`, `loop`, `if`/`else`, `end`, branches, `return`,
//! `unreachable`, `nop`.
//!
//! Every frame has a `destination` block whose parameters are the frame's results; a
//! `loop` additionally has a `header` whose parameters are the loop's parameters. The
//! false edge of an `if` goes to an `else_block` taking the `if`'s parameters; when there
//! is no `else`, `end` makes that block pass its parameters straight to the destination
//! (valid because such an `if` has equal parameter and result types).
//!
//! Known conditions (see `consts`): an `if` whose condition is a known constant pushes a
//! `KnownIf` frame and translates only its live arm, straight on in the current block (no
//! `brif`, no `else` block); the dead arm is skipped as unreachable code but still
//! validated. A `br_if` with a known condition is a `br` or nothing, a `br_table` with a
//! known index a `br` to the selected target.

use super::{ControlFrame, FrameKind, Result, Translator, block_args};
use cranelift_codegen::ir::{Block, BlockArg, InstBuilder, JumpTableData};
use stagec_environ::TrapKind;
use wasmparser::{BlockType, BrTable, Operator};

impl Translator<'_, '_> {
    /// Translates a control operator; returns whether `op` is one.
    pub(super) fn translate_control(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::Unreachable => {
                self.env.trap(&mut self.builder, TrapKind::Unreachable);
                self.reachable = false;
            }
            Operator::Nop => {}
            Operator::Block { blockty } => self.translate_block(*blockty),
            Operator::Loop { blockty } => self.translate_loop(*blockty),
            Operator::If { blockty } => self.translate_if(*blockty),
            Operator::Else => self.translate_else(),
            Operator::End => self.translate_end(),
            Operator::Br { relative_depth } => self.translate_br(*relative_depth),
            Operator::BrIf { relative_depth } => self.translate_br_if(*relative_depth),
            Operator::BrTable { targets } => self.translate_br_table(targets)?,
            Operator::Return => {
                let n = self.control[0].num_results;
                let results = self.popn(n);
                self.builder.ins().return_(&results);
                self.reachable = false;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn translate_block(&mut self, blockty: BlockType) {
        let (params, results) = self.block_signature(blockty);
        let destination = self.block_with_params(&results);
        self.control.push(ControlFrame {
            kind: FrameKind::Block,
            destination,
            num_params: params.len(),
            num_results: results.len(),
            stack_base: self.stack.len() - params.len(),
            exit_reachable: false,
        });
    }

    fn translate_loop(&mut self, blockty: BlockType) {
        let (params, results) = self.block_signature(blockty);
        let header = self.block_with_params(&params);
        let destination = self.block_with_params(&results);
        let args = self.popn(params.len());
        self.jump(header, &args);
        self.builder.switch_to_block(header);
        self.env.limits_check(&mut self.builder);
        // The header is sealed at `end`, once every back edge is known.
        let stack_base = self.stack.len();
        self.stack
            .extend_from_slice(self.builder.block_params(header));
        self.control.push(ControlFrame {
            kind: FrameKind::Loop { header },
            destination,
            num_params: params.len(),
            num_results: results.len(),
            stack_base,
            exit_reachable: false,
        });
    }

    fn translate_if(&mut self, blockty: BlockType) {
        let condition = self.pop1();
        let (params, results) = self.block_signature(blockty);
        if let Some(then_live) = self.known_condition(condition) {
            let destination = self.block_with_params(&results);
            self.control.push(ControlFrame {
                kind: FrameKind::KnownIf {
                    then_live,
                    else_seen: false,
                },
                destination,
                num_params: params.len(),
                num_results: results.len(),
                stack_base: self.stack.len() - params.len(),
                exit_reachable: false,
            });
            // A dead `then` arm is skipped; the block before the `if` stays open for the
            // `else` arm (or, without one, for the parameters passing through at `end`).
            self.reachable = then_live;
            return;
        }
        let then_block = self.builder.create_block();
        let else_block = self.block_with_params(&params);
        let destination = self.block_with_params(&results);
        let else_args = block_args(self.peekn(params.len()));
        self.builder
            .ins()
            .brif(condition, then_block, &[], else_block, &else_args);
        self.builder.seal_block(then_block);
        self.builder.seal_block(else_block);
        self.builder.switch_to_block(then_block);
        // The `then` arm keeps using the parameter values on the stack: they dominate it.
        self.control.push(ControlFrame {
            kind: FrameKind::If {
                else_block,
                else_seen: false,
            },
            destination,
            num_params: params.len(),
            num_results: results.len(),
            stack_base: self.stack.len() - params.len(),
            exit_reachable: false,
        });
    }

    /// `else`: closes the `then` arm and starts the `else` arm (reachable, since frames
    /// are only pushed for reachable code).
    pub(super) fn translate_else(&mut self) {
        let mut frame = self.control.pop().expect("validated: else inside if");
        let else_block = match frame.kind {
            FrameKind::If { else_block, .. } => else_block,
            FrameKind::KnownIf { then_live, .. } => {
                if then_live {
                    // End of the live `then` arm; the `else` arm is dead.
                    if self.reachable {
                        let results = self.popn(frame.num_results);
                        self.jump(frame.destination, &results);
                        frame.exit_reachable = true;
                    }
                    self.stack.truncate(frame.stack_base);
                    self.reachable = false;
                } else {
                    // The dead `then` arm left the stack and the current block as the
                    // `if` found them: the `else` arm continues there, on the parameters.
                    debug_assert_eq!(self.stack.len(), frame.stack_base + frame.num_params);
                    self.reachable = true;
                }
                frame.kind = FrameKind::KnownIf {
                    then_live,
                    else_seen: true,
                };
                self.control.push(frame);
                self.unreachable_depth = 0;
                return;
            }
            _ => unreachable!("validated: else closes an if"),
        };
        if self.reachable {
            let results = self.popn(frame.num_results);
            self.jump(frame.destination, &results);
            frame.exit_reachable = true;
        }
        self.stack.truncate(frame.stack_base);
        self.builder.switch_to_block(else_block);
        self.stack
            .extend_from_slice(self.builder.block_params(else_block));
        frame.kind = FrameKind::If {
            else_block,
            else_seen: true,
        };
        self.control.push(frame);
        self.reachable = true;
        self.unreachable_depth = 0;
    }

    /// `end`: closes the innermost frame; at the outermost frame, returns.
    pub(super) fn translate_end(&mut self) {
        let mut frame = self.control.pop().expect("validated: end closes a frame");
        if let FrameKind::KnownIf {
            then_live: false,
            else_seen: false,
        } = frame.kind
        {
            // The dead `then` arm is over; the missing `else` arm is live and passes the
            // parameters (still on the stack, in the still-open block) through.
            debug_assert_eq!(self.stack.len(), frame.stack_base + frame.num_params);
            self.reachable = true;
        }
        if self.reachable {
            let results = self.popn(frame.num_results);
            self.jump(frame.destination, &results);
            frame.exit_reachable = true;
        }
        match frame.kind {
            FrameKind::If {
                else_block,
                else_seen: false,
            } => {
                // No `else`: the false edge carries the parameters through.
                self.builder.switch_to_block(else_block);
                let params = self.builder.block_params(else_block).to_vec();
                self.jump(frame.destination, &params);
                frame.exit_reachable = true;
            }
            FrameKind::Loop { header } => self.builder.seal_block(header),
            _ => {}
        }
        self.stack.truncate(frame.stack_base);
        let destination = frame.destination;
        if frame.exit_reachable {
            self.builder.switch_to_block(destination);
            self.builder.seal_block(destination);
            let results = self.builder.block_params(destination).to_vec();
            if self.control.is_empty() {
                self.builder.ins().return_(&results);
                self.reachable = false;
            } else {
                self.stack.extend_from_slice(&results);
                self.reachable = true;
            }
        } else {
            self.reachable = false;
        }
    }

    /// The frame `relative_depth` levels out, marked as branched to.
    fn branch_frame(&mut self, relative_depth: u32) -> (Block, usize) {
        let index = self.control.len() - 1 - relative_depth as usize;
        let frame = &mut self.control[index];
        if !matches!(frame.kind, FrameKind::Loop { .. }) {
            frame.exit_reachable = true;
        }
        (frame.branch_target(), frame.branch_arity())
    }

    fn translate_br(&mut self, relative_depth: u32) {
        let (target, arity) = self.branch_frame(relative_depth);
        let args = self.peekn(arity).to_vec();
        self.jump(target, &args);
        self.reachable = false;
    }

    fn translate_br_if(&mut self, relative_depth: u32) {
        let condition = self.pop1();
        match self.known_condition(condition) {
            Some(true) => return self.translate_br(relative_depth),
            Some(false) => return,
            None => {}
        }
        let (target, arity) = self.branch_frame(relative_depth);
        let args = block_args(self.peekn(arity));
        let next = self.builder.create_block();
        self.builder.ins().brif(condition, target, &args, next, &[]);
        self.builder.seal_block(next);
        self.builder.switch_to_block(next);
    }

    /// `br_table`: a Cranelift jump table. Jump-table entries cannot carry block
    /// arguments, so when the targets take values every distinct target gets an
    /// intermediate block that jumps on with the arguments.
    fn translate_br_table(&mut self, targets: &BrTable<'_>) -> Result<()> {
        let index = self.pop1();
        let depths = targets
            .targets()
            .collect::<std::result::Result<Vec<u32>, _>>()?;
        let default = targets.default();
        if let Some(i) = super::consts::known_int(self.builder.func, index) {
            let depth = usize::try_from(i)
                .ok()
                .and_then(|i| depths.get(i))
                .copied()
                .unwrap_or(default);
            self.translate_br(depth);
            return Ok(());
        }
        let (_, arity) = self.branch_frame(default);
        let args = self.peekn(arity).to_vec();

        // (relative depth, block the jump table points at)
        let mut entries: Vec<(u32, Block)> = Vec::new();
        let mut entry_block = |this: &mut Self, depth: u32| -> Block {
            if let Some(&(_, block)) = entries.iter().find(|(d, _)| *d == depth) {
                return block;
            }
            let (target, _) = this.branch_frame(depth);
            let block = if arity == 0 {
                target
            } else {
                this.builder.create_block()
            };
            entries.push((depth, block));
            block
        };
        let table: Vec<Block> = depths.iter().map(|&d| entry_block(self, d)).collect();
        let default_block = entry_block(self, default);

        let no_args: &[BlockArg] = &[];
        let dfg = &mut self.builder.func.dfg;
        let default_call = dfg.block_call(default_block, no_args);
        let calls: Vec<_> = table.iter().map(|&b| dfg.block_call(b, no_args)).collect();
        let jt = self
            .builder
            .create_jump_table(JumpTableData::new(default_call, &calls));
        self.builder.ins().br_table(index, jt);

        if arity != 0 {
            for (depth, block) in entries {
                let index = self.control.len() - 1 - depth as usize;
                let target = self.control[index].branch_target();
                self.builder.switch_to_block(block);
                self.builder.seal_block(block);
                self.jump(target, &args);
            }
        }
        self.reachable = false;
        Ok(())
    }
}
