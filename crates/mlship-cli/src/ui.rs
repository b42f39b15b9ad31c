//! `mlship ui`: placeholder replaced below.
use anyhow::Result;
use clap::Args;

#[derive(Args, Debug)]
pub struct UiArgs {}

pub fn run(_args: UiArgs) -> Result<()> {
    anyhow::bail!("not yet")
}
