//! `photon faces`: the faces of records grouped into people, the grouping kept in a state file
//! so that a later run places only the faces it has not seen.

use crate::args::FacesArgs;
use crate::people_state::{self, FaceKey, PeopleState, Placed, STATE_VERSION};
use crate::report::chain;
use photon_core::Record;
use photon_faces::{People, PeopleOptions};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::process::ExitCode;

pub fn run(args: &FacesArgs) -> ExitCode {
    match group(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("photon: {e}");
            ExitCode::from(2)
        }
    }
}

/// A face as the records hold it.
struct Face {
    key: FaceKey,
    file_path: String,
    bbox: [f32; 4],
    score: f32,
    embedding: Vec<f32>,
}

fn group(args: &FacesArgs) -> Result<(), String> {
    if !(0.0..=2.0).contains(&args.max_distance) {
        return Err(format!(
            "--max-distance {}: a cosine distance is between 0 and 2",
            args.max_distance
        ));
    }
    let options = PeopleOptions::default()
        .max_distance(args.max_distance)
        .min_faces(args.min_faces as usize);
    let faces = read_faces(args)?;
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| people_state::default_path(&args.records[0]));
    let earlier = match args.recluster {
        true => None,
        false => people_state::load(&state_path)?.filter(|state| {
            let same = state.max_distance == args.max_distance
                && state.min_faces == args.min_faces as usize;
            if !same {
                eprintln!("photon: the state was made with other options: grouping anew");
            }
            same
        }),
    };
    let (faces, mut people, known) = resume(faces, earlier);
    let views: Vec<&[f32]> = faces.iter().map(|f| f.embedding.as_slice()).collect();
    people.add(&views, options);
    people_state::save(&state_path, &state_of(&faces, &people, args))?;
    report(&faces, &people, known, args.json).map_err(|e| format!("writing the people: {e}"))
}

/// Every face of the records' images, each image once (by content hash, its last record).
fn read_faces(args: &FacesArgs) -> Result<Vec<Face>, String> {
    let mut latest: HashMap<String, photon_core::ImageRecord> = HashMap::new();
    let mut order = Vec::new();
    for path in &args.records {
        let reader = photon_arrow::read_records(path)
            .map_err(|e| format!("{}: {}", path.display(), chain(&e)))?;
        for record in reader.flatten() {
            let Record::Image(image) = record else {
                continue;
            };
            if image.faces.is_none() {
                continue;
            }
            if !latest.contains_key(&image.content_hash) {
                order.push(image.content_hash.clone());
            }
            latest.insert(image.content_hash.clone(), *image);
        }
    }
    let mut faces = Vec::new();
    for hash in order {
        let image = &latest[&hash];
        for (index, face) in image.faces.iter().flatten().enumerate() {
            faces.push(Face {
                key: FaceKey {
                    content_hash: hash.clone(),
                    index,
                },
                file_path: image.file_path.clone(),
                bbox: face.bbox,
                score: face.score,
                embedding: face.embedding.clone(),
            });
        }
    }
    if faces.is_empty() {
        return Err("the records hold no faces: run `photon process --faces` first".to_owned());
    }
    Ok(faces)
}

/// The faces ordered as the state took them (those it knows first, then new ones), the people
/// as it left them, and how many faces it knew. Faces whose images are gone leave the state;
/// a person left with no face goes with them.
fn resume(faces: Vec<Face>, state: Option<PeopleState>) -> (Vec<Face>, People, usize) {
    let Some(state) = state else {
        return (faces, People::default(), 0);
    };
    let mut by_key: HashMap<FaceKey, Face> =
        faces.into_iter().map(|f| (f.key.clone(), f)).collect();
    let mut ordered = Vec::new();
    let mut old_person = Vec::new();
    for placed in state.faces {
        if let Some(face) = by_key.remove(&placed.key) {
            ordered.push(face);
            old_person.push(placed.person);
        }
    }
    let known = ordered.len();
    let mut rest: Vec<Face> = by_key.into_values().collect();
    rest.sort_by(|a, b| (&a.file_path, a.key.index).cmp(&(&b.file_path, b.key.index)));
    ordered.extend(rest);
    // People renumbered by first appearance among the faces still there.
    let mut renumber: HashMap<u32, u32> = HashMap::new();
    let mut people = People::default();
    for (face, person) in old_person.iter().enumerate() {
        people.person.push(person.map(|old| {
            let next = renumber.len() as u32;
            *renumber.entry(old).or_insert_with(|| {
                people.representative.push(face);
                next
            })
        }));
    }
    let index: HashMap<&FaceKey, usize> = ordered[..known]
        .iter()
        .enumerate()
        .map(|(i, f)| (&f.key, i))
        .collect();
    for (old, representative) in state.representatives.iter().enumerate() {
        if let (Some(&new), Some(&face)) = (renumber.get(&(old as u32)), index.get(representative))
        {
            people.representative[new as usize] = face;
        }
    }
    (ordered, people, known)
}

fn state_of(faces: &[Face], people: &People, args: &FacesArgs) -> PeopleState {
    PeopleState {
        version: STATE_VERSION,
        max_distance: args.max_distance,
        min_faces: args.min_faces as usize,
        faces: faces
            .iter()
            .zip(&people.person)
            .map(|(face, person)| Placed {
                key: face.key.clone(),
                person: *person,
            })
            .collect(),
        representatives: people
            .representative
            .iter()
            .map(|&i| faces[i].key.clone())
            .collect(),
    }
}

fn report(faces: &[Face], people: &People, known: usize, json: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let members = people.members();
    for (person, faces_of) in members.iter().enumerate() {
        let face = |i: usize| {
            let f = &faces[i];
            json!({ "file_path": f.file_path, "box": f.bbox, "score": f.score })
        };
        let representative = face(people.representative[person]);
        if json {
            let line = json!({
                "person": person,
                "faces": faces_of.iter().map(|&i| face(i)).collect::<Vec<_>>(),
                "representative": representative,
            });
            writeln!(out, "{line}")?;
        } else {
            let images: HashSet<&str> = faces_of
                .iter()
                .map(|&i| faces[i].file_path.as_str())
                .collect();
            writeln!(
                out,
                "person {person}: {} faces in {} images, e.g. {} {:?}",
                faces_of.len(),
                images.len(),
                representative["file_path"].as_str().unwrap_or_default(),
                faces[people.representative[person]].bbox.map(f32::round)
            )?;
        }
    }
    let unassigned = people.person.iter().filter(|p| p.is_none()).count();
    eprintln!(
        "photon: {} people from {} faces ({unassigned} not assigned; {} new this run)",
        members.len(),
        faces.len(),
        faces.len() - known
    );
    Ok(())
}
