//! The checks `Fitted::validate` is built from: a model read from a file is
//! data an attacker may have edited (and re-checksummed), so every length,
//! index and number is checked once on load, with a message naming the field.

use super::tree::{TreeNodes, LEAF};

/// `values` are all finite, or an error naming `field` and the first bad position.
pub(crate) fn finite(field: &str, values: &[f64]) -> Result<(), String> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(at) => Err(format!("{field}[{at}] is {} (not a finite number)", values[at])),
    }
}

/// `value` is finite, or an error naming `field`.
pub(crate) fn finite_one(field: &str, value: f64) -> Result<(), String> {
    finite(field, std::slice::from_ref(&value)).map_err(|_| format!("{field} is {value} (not a finite number)"))
}

/// `field` holds `want` values.
pub(crate) fn length(field: &str, got: usize, want: usize) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{field} has {got} values, expected {want}"))
    }
}

/// `rows` × `width` values, without overflow.
pub(crate) fn product(field: &str, rows: usize, width: usize) -> Result<usize, String> {
    rows.checked_mul(width).ok_or_else(|| format!("{field}: {rows} rows of {width} values overflow"))
}

/// One tree as `TreeNodes` stores it: parallel arrays of one length, at
/// least one node, every split's feature below `n_features`, its children
/// after it (so every walk from the root ends at a leaf) and inside the
/// array, every value, impurity and split threshold finite.
pub(crate) fn tree_nodes(field: &str, tree: &TreeNodes, n_features: usize) -> Result<(), String> {
    let n = tree.nodes.len();
    if n == 0 {
        return Err(format!("{field}.nodes is empty"));
    }
    length(&format!("{field}.value"), tree.value.len(), n)?;
    length(&format!("{field}.impurity"), tree.impurity.len(), n)?;
    length(&format!("{field}.n_node_samples"), tree.n_node_samples.len(), n)?;
    length(&format!("{field}.weighted_n_node_samples"), tree.weighted_n_node_samples.len(), n)?;
    finite(&format!("{field}.value"), &tree.value)?;
    length(&format!("{field}.class_value"), tree.class_value.len(), n.saturating_mul(tree.n_classes))?;
    finite(&format!("{field}.class_value"), &tree.class_value)?;
    finite(&format!("{field}.impurity"), &tree.impurity)?;
    finite(&format!("{field}.weighted_n_node_samples"), &tree.weighted_n_node_samples)?;
    for (index, node) in tree.nodes.iter().enumerate() {
        if node.feature == LEAF {
            continue;
        }
        if node.feature as usize >= n_features {
            return Err(format!(
                "{field}.nodes[{index}].feature is {}, the model has {n_features} features",
                node.feature
            ));
        }
        for (side, child) in [("left", node.left), ("right", node.right)] {
            let child = child as usize;
            if child <= index || child >= n {
                return Err(format!(
                    "{field}.nodes[{index}].{side} is {child}: a child must come after its parent and below {n}"
                ));
            }
        }
        finite_one(&format!("{field}.nodes[{index}].threshold"), node.threshold)?;
    }
    Ok(())
}

/// A fitted single tree: its nodes and one importance per feature.
pub(crate) fn tree(tree: &TreeNodes, n_features: usize, importances: &[f64]) -> Result<(), String> {
    features(n_features, importances)?;
    tree_nodes("tree", tree, n_features)
}

/// A fitted forest: at least one tree, each valid, and one importance per feature.
pub(crate) fn forest(trees: &[TreeNodes], n_features: usize, importances: &[f64]) -> Result<(), String> {
    features(n_features, importances)?;
    if trees.is_empty() {
        return Err("trees is empty".to_string());
    }
    if let Some(index) = trees.iter().position(|tree| tree.n_classes != trees[0].n_classes) {
        return Err(format!("trees[{index}].n_classes differs from trees[0]'s"));
    }
    trees.iter().enumerate().try_for_each(|(index, tree)| tree_nodes(&format!("trees[{index}]"), tree, n_features))
}

fn features(n_features: usize, importances: &[f64]) -> Result<(), String> {
    if n_features == 0 {
        return Err("n_features is 0".to_string());
    }
    length("feature_importances", importances.len(), n_features)?;
    finite("feature_importances", importances)
}

#[cfg(test)]
mod tests {
    use crate::matrix::Matrix;
    use crate::models::{FittedModel, ModelSpec};
    use crate::task::Task;

    fn fitted(id: &str) -> FittedModel {
        let mut x = Matrix::with_rows(40);
        x.push_column((0..40).map(|i| f64::from(i % 7)).collect());
        x.push_column((0..40).map(|i| f64::from(i * i % 11)).collect());
        let y: Vec<f64> = (0..40).map(|i| f64::from(i % 7) * 2.0 + f64::from(i % 3)).collect();
        ModelSpec::with_defaults(Task::Regression, id, 1).unwrap().fit(&x, &y).unwrap()
    }

    /// A tree edited to loop, to point outside its nodes or at a feature it
    /// does not have, or to hold NaN is refused, naming the node and field.
    #[test]
    fn damaged_trees_are_refused() {
        let FittedModel::Tree(good) = fitted("dt") else { panic!("dt fits a tree") };
        assert_eq!(good.tree.nodes[0].left, 1);
        assert!(FittedModel::Tree(good.clone()).validate().is_ok());
        let split = good.tree.nodes.iter().position(|n| n.feature != super::LEAF).unwrap();
        type Edit = Box<dyn Fn(&mut crate::models::tree::FittedTree)>;
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(move |t| t.tree.nodes[split].left = split as u32), "left is"),
            (Box::new(move |t| t.tree.nodes[split].right = 0), "right is 0: a child must come after its parent"),
            (Box::new(move |t| t.tree.nodes[split].right = 1_000_000), "right is 1000000"),
            (Box::new(move |t| t.tree.nodes[split].feature = 7), "feature is 7, the model has 2 features"),
            (Box::new(|t| t.tree.value[0] = f64::NAN), "tree.value[0] is NaN"),
            (Box::new(|t| _ = t.tree.impurity.pop()), "tree.impurity has"),
            (Box::new(|t| t.tree.nodes.clear()), "tree.nodes is empty"),
            (Box::new(|t| _ = t.feature_importances.pop()), "feature_importances has 1 values, expected 2"),
        ];
        for (edit, expected) in cases {
            let mut tree = good.clone();
            edit(&mut tree);
            let error = FittedModel::Tree(tree).validate().unwrap_err();
            assert!(error.contains(expected), "{error:?} lacks {expected:?}");
        }
        let FittedModel::Forest(mut forest) = fitted("rf") else { panic!("rf fits a forest") };
        assert!(FittedModel::Forest(forest.clone()).validate().is_ok());
        forest.trees[3].nodes[0].feature = 2;
        let error = FittedModel::Forest(forest).validate().unwrap_err();
        assert!(error.contains("trees[3].nodes[0].feature is 2"), "{error}");
    }

    /// Every other family: a fitted model validates; a damaged one does not.
    #[test]
    fn fitted_models_validate_and_damaged_ones_do_not() {
        for entry in crate::models::models_for(Task::Regression) {
            let model = fitted(entry.id);
            assert_eq!(model.validate(), Ok(()), "{}", entry.id);
        }
        let FittedModel::Linear(mut linear) = fitted("lr") else { panic!("lr is linear") };
        linear.intercept = f64::INFINITY;
        assert!(FittedModel::Linear(linear).validate().unwrap_err().contains("intercept is inf"));
        let FittedModel::Mlp(mut mlp) = fitted("mlp") else { panic!("mlp") };
        mlp.layers[0].n_out += 1;
        assert!(FittedModel::Mlp(mlp).validate().unwrap_err().contains("layers[0].weights has"));
    }
}
